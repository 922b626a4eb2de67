"""A fix to moto's S3 without which ``terraform destroy`` cannot empty a bucket that held deletions.

moto 5.2.5 (the newest release) crashes on it. The AWS provider deletes
``aws_s3_bucket_versioning`` before its bucket by *suspending* versioning, then empties the
bucket (``force_destroy``) with DeleteObjects naming every object version and delete marker.
In a bucket whose versioning is not "Enabled", moto's ``S3Backend.delete_object`` takes its
unversioned path: it ignores the VersionId and pops the key with all its versions, calling
``dispose()`` on each (``_VersionedKeyStore.pop``). ``FakeDeleteMarker`` has no ``dispose``, so
a key with a delete marker among its versions raises AttributeError and moto answers 500 with
an HTML page, which the provider reports as "error while deserializing xml error response".
AWS deletes the version named (tests/infra/test_moto_fixes.py shows the crash and the fix).

A delete marker holds no data, so disposing of one has nothing to free: the fix gives it a
``dispose`` that does nothing. Where moto has one of its own, nothing is changed.

``python -m tests.support.moto_fixes -H 127.0.0.1 -p PORT`` is moto's server with the fix.
"""

from __future__ import annotations


def _nothing_to_free(self: object, garbage: bool = False) -> None:
    """A delete marker has no value buffer or parts to close."""


def apply() -> None:
    from moto.s3.models import FakeDeleteMarker

    if not hasattr(FakeDeleteMarker, "dispose"):
        FakeDeleteMarker.dispose = _nothing_to_free


if __name__ == "__main__":
    from moto.server import main

    apply()
    main()
