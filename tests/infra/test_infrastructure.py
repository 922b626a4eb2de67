"""Checks for the cloud deployment (issue 8): infrastructure/, Dockerfile, .dockerignore.

* every .tf file parses (python-hcl2); every module's variables are used and
  documented, its outputs documented; module calls and references resolve;
* checkov finds nothing in infrastructure/ or the Dockerfile, and every inline
  suppression carries a reason and is actually needed;
* hadolint finds nothing in the Dockerfile;
* terraform fmt and validate, where a Terraform >= 1.5 binary and a local AWS
  provider mirror exist (tests/terraform_tools.py; a whole apply against moto's
  server is tests/test_terraform_apply.py).

checkov and hadolint live in their own venv (``bash scripts/install-tools.sh``
makes .venv-tools/); LIFESTREAM_CHECKOV, LIFESTREAM_HADOLINT and
LIFESTREAM_TERRAFORM point at other binaries. Without them these tests skip,
unless LIFESTREAM_REQUIRE_TOOLS=1 (set it in CI), where a missing checkov or
hadolint fails (Terraform cannot be installed by setup, so it still skips).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import hcl2
import pytest

from tests.infra.terraform_tools import copy_configuration, init, require_version, terraform_binary, terraform_env

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infrastructure"
MODULES_DIR = INFRA / "modules"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"

EXPECTED_MODULES = {"alb", "ecs", "kms", "monitoring", "network", "queue", "registry", "secrets", "storage", "tables"}
META_ARGUMENTS = {"source", "version", "count", "for_each", "depends_on", "providers"}

# LIFESTREAM_* variables the deployment sets that lifestream/settings.py does
# not declare yet: the bots, the HTTP API and the DynamoDB stores are other
# issues' work (Settings ignores unknown variables, so a typo here would go
# unnoticed - hence this list instead of no check).
SETTINGS_FROM_OTHER_ISSUES = {
    "LIFESTREAM_SLACK_BOT_TOKEN", "LIFESTREAM_SLACK_SIGNING_SECRET", "LIFESTREAM_SLACK_APP_TOKEN",
    "LIFESTREAM_TEAMS_APP_ID", "LIFESTREAM_TEAMS_APP_PASSWORD", "LIFESTREAM_TEAMS_TENANT_ID",
    "LIFESTREAM_API_TOKENS", "LIFESTREAM_PUBLIC_URL", "LIFESTREAM_LINK_SECRET",
}


# --------------------------------------------------------------------------- helpers
def _unquote(value):
    """python-hcl2 8 keeps the quotes of labels and string literals."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def _tf_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.tf"))


def _all_tf_files() -> list[Path]:
    return sorted(INFRA.rglob("*.tf"), key=str)


def _strip_comments(text: str) -> str:
    """HCL text without # and // line comments and /* */ blocks (string contents kept)."""
    out, i, n, in_string = [], 0, len(text), False
    while i < n:
        c = text[i]
        if in_string:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 2
                continue
            if c == '"':
                in_string = False
            i += 1
        elif c == '"':
            in_string = True
            out.append(c)
            i += 1
        elif c == "#" or text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _module_text(directory: Path) -> str:
    return "\n".join(_strip_comments(p.read_text()) for p in _tf_files(directory))


def _blocks(directory: Path, kind: str) -> dict[str, dict]:
    """name -> body of every `kind "name" {}` block (variable, output, module, locals...) in a module."""
    found: dict[str, dict] = {}
    for path in _tf_files(directory):
        for block in hcl2.load(path.open()).get(kind, []):
            for name, body in block.items():
                found[_unquote(name)] = body
    return found


def _declared_locals(directory: Path) -> set[str]:
    names: set[str] = set()
    for path in _tf_files(directory):
        for block in hcl2.load(path.open()).get("locals", []):
            names |= {k for k in block if not k.startswith("__")}
    return names


def _typed_blocks(directory: Path, kind: str) -> set[tuple[str, str]]:
    """(type, name) of every resource or data block in a module."""
    found = set()
    for path in _tf_files(directory):
        for block in hcl2.load(path.open()).get(kind, []):
            for rtype, named in block.items():
                for name in named:
                    found.add((_unquote(rtype), _unquote(name)))
    return found


def _module_dirs() -> list[Path]:
    return [INFRA, *sorted(p for p in MODULES_DIR.iterdir() if p.is_dir())]


def _module_id(path: Path) -> str:
    return "root" if path == INFRA else path.name


def _require_tools() -> bool:
    return os.environ.get("LIFESTREAM_REQUIRE_TOOLS", "") not in ("", "0", "false")


def _find_tool(env_var: str, names: tuple[str, ...], install_hint: str) -> Path:
    configured = os.environ.get(env_var)
    if configured:
        path = Path(configured)
        assert path.is_file() and os.access(path, os.X_OK), f"{env_var}={configured} is not an executable file"
        return path
    for name in names:
        candidate = ROOT / ".venv-tools" / "bin" / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    for name in names:
        found = shutil.which(name)
        if found:
            return Path(found)
    reason = f"{'/'.join(names)} not found (.venv-tools/bin, PATH or {env_var}); {install_hint}"
    if _require_tools():
        pytest.fail(reason + " - LIFESTREAM_REQUIRE_TOOLS is set")
    pytest.skip(reason)


def _checkov() -> Path:
    return _find_tool("LIFESTREAM_CHECKOV", ("checkov",), "run `bash scripts/install-tools.sh`")


def _hadolint() -> Path:
    return _find_tool("LIFESTREAM_HADOLINT", ("hadolint",), "run `bash scripts/install-tools.sh`")


def _run_checkov(args: list[str], quiet: bool = True) -> list[dict]:
    # --skip-download: no calls to the vendor's API (guidelines, severities);
    # this machine and CI have no internet, and the checks themselves are local.
    # --quiet leaves passed and skipped checks out of the report.
    cmd = [str(_checkov()), *args, *(["--quiet"] if quiet else []), "--compact", "-o", "json", "--skip-download"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT)
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"checkov printed no JSON (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    reports = report if isinstance(report, list) else [report]
    assert reports and all("summary" in r for r in reports), f"unexpected checkov output: {proc.stdout[:2000]}"
    return reports


def _failed(reports: list[dict]) -> list[dict]:
    return [f for r in reports for f in r.get("results", {}).get("failed_checks", [])]


def _describe(findings: list[dict]) -> str:
    return "\n".join(
        f"  {f['check_id']} {f.get('resource')} {f.get('file_path')}:{f.get('file_line_range')} - {f.get('check_name')}"
        for f in findings
    )


# --------------------------------------------------------------------------- parsing and layout
@pytest.mark.parametrize("path", _all_tf_files(), ids=lambda p: str(p.relative_to(INFRA)))
def test_every_tf_file_parses(path):
    parsed = hcl2.load(path.open())
    assert parsed, f"{path} parsed to nothing"


def test_layout():
    for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf", "terraform.tfvars.example"):
        assert (INFRA / name).is_file(), f"infrastructure/{name} is missing"
    modules = {p.name for p in MODULES_DIR.iterdir() if p.is_dir()}
    assert EXPECTED_MODULES <= modules, f"missing modules: {EXPECTED_MODULES - modules}"
    for module in modules:
        for name in ("main.tf", "variables.tf", "outputs.tf"):
            assert (MODULES_DIR / module / name).is_file(), f"modules/{module}/{name} is missing"


def test_versions_pin_terraform_and_aws_provider():
    terraform = hcl2.load((INFRA / "versions.tf").open())["terraform"][0]
    assert _unquote(terraform["required_version"]) == ">= 1.5.0"
    aws = terraform["required_providers"][0]["aws"]
    assert _unquote(aws["source"]) == "hashicorp/aws"
    assert _unquote(aws["version"]) == "~> 5.0"


# --------------------------------------------------------------------------- variables and outputs
@pytest.mark.parametrize("module", _module_dirs(), ids=_module_id)
def test_variables_documented_and_used(module):
    variables = _blocks(module, "variable")
    text = _module_text(module)
    undocumented = [n for n, body in variables.items() if not str(_unquote(body.get("description", ""))).strip()]
    unused = [n for n in variables if not re.search(rf"\bvar\.{re.escape(n)}\b", text)]
    undeclared = sorted(set(re.findall(r"\bvar\.([A-Za-z_][A-Za-z0-9_-]*)", text)) - set(variables))
    assert not undocumented, f"{_module_id(module)}: variables without a description: {undocumented}"
    assert not unused, f"{_module_id(module)}: variables never referenced as var.<name>: {unused}"
    assert not undeclared, f"{_module_id(module)}: var.<name> used but not declared: {undeclared}"


@pytest.mark.parametrize("module", _module_dirs(), ids=_module_id)
def test_outputs_documented(module):
    outputs = _blocks(module, "output")
    assert outputs, f"{_module_id(module)} has no outputs"
    undocumented = [n for n, body in outputs.items() if not str(_unquote(body.get("description", ""))).strip()]
    assert not undocumented, f"{_module_id(module)}: outputs without a description: {undocumented}"


@pytest.mark.parametrize("module", _module_dirs(), ids=_module_id)
def test_references_resolve(module):
    """A poor man's `terraform validate`: every local, resource, data source and module referenced exists."""
    text = _module_text(module)
    resources = _typed_blocks(module, "resource")
    data = _typed_blocks(module, "data")
    local_names = _declared_locals(module)
    module_names = set(_blocks(module, "module"))

    used_locals = set(re.findall(r"\blocal\.([A-Za-z_][A-Za-z0-9_-]*)", text))
    assert used_locals <= local_names, f"{_module_id(module)}: undeclared locals {sorted(used_locals - local_names)}"

    used_data = set(re.findall(r"\bdata\.([a-z][a-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_-]*)", text))
    assert used_data <= data, f"{_module_id(module)}: undeclared data sources {sorted(used_data - data)}"

    # resource references: aws_x.name (not preceded by "data." or another identifier)
    used_resources = set(re.findall(r"(?<![\w.\"/:-])(aws_[a-z0-9_]+)\.([A-Za-z_][A-Za-z0-9_-]*)", text))
    assert used_resources <= resources, f"{_module_id(module)}: undeclared resources {sorted(used_resources - resources)}"

    used_modules = set(re.findall(r"\bmodule\.([A-Za-z_][A-Za-z0-9_-]*)", text))
    assert used_modules <= module_names, f"{_module_id(module)}: undeclared modules {sorted(used_modules - module_names)}"


def test_module_calls_match_module_interfaces():
    root_text = _module_text(INFRA)
    calls = _blocks(INFRA, "module")
    assert set(calls) >= EXPECTED_MODULES, f"root does not call {EXPECTED_MODULES - set(calls)}"
    for call_name, body in calls.items():
        source = _unquote(body["source"])
        assert source.startswith("./modules/"), f"module {call_name}: unexpected source {source}"
        target = INFRA / source
        assert target.is_dir(), f"module {call_name}: {source} does not exist"
        variables = _blocks(target, "variable")
        outputs = _blocks(target, "output")
        arguments = {k for k in body if not k.startswith("__")} - META_ARGUMENTS
        unknown = arguments - set(variables)
        required = {n for n, v in variables.items() if "default" not in v}
        missing = required - arguments
        assert not unknown, f"module {call_name} passes undeclared variables {sorted(unknown)}"
        assert not missing, f"module {call_name} does not pass required variables {sorted(missing)}"
        referenced = set(re.findall(rf"\bmodule\.{re.escape(call_name)}(?:\[[^\]]*\])?\.([A-Za-z_][A-Za-z0-9_-]*)", root_text))
        referenced |= set(re.findall(rf"\bone\(module\.{re.escape(call_name)}\[\*\]\.([A-Za-z_][A-Za-z0-9_-]*)", root_text))
        assert referenced <= set(outputs), f"module {call_name} has no outputs {sorted(referenced - set(outputs))}"


def test_tfvars_example_matches_root_variables():
    variables = _blocks(INFRA, "variable")
    example = hcl2.loads((INFRA / "terraform.tfvars.example").read_text())
    keys = {k for k in example if not k.startswith("__")}
    assert keys <= set(variables), f"terraform.tfvars.example sets undeclared variables {sorted(keys - set(variables))}"
    required = {n for n, v in variables.items() if "default" not in v}
    assert required <= keys, f"terraform.tfvars.example lacks required variables {sorted(required - keys)}"


def test_container_settings_are_known_to_the_app():
    """Every LIFESTREAM_* variable the deployment sets is a Settings field (or pending in another issue)."""
    from lifestream.settings import Settings

    fields = {f"LIFESTREAM_{name.upper()}" for name in Settings.model_fields}
    names = set(re.findall(r"\bLIFESTREAM_[A-Z0-9_]+\b", _module_text(INFRA)))
    assert {"LIFESTREAM_S3_BUCKET", "LIFESTREAM_BROKER_URL", "LIFESTREAM_JOBS_TABLE"} <= names
    unknown = names - fields - SETTINGS_FROM_OTHER_ISSUES
    assert not unknown, f"the containers get variables lifestream.settings does not read: {sorted(unknown)}"


def test_the_app_roles_reach_every_folder_the_app_keeps_in_the_data_bucket():
    """A folder the app writes that no task role may touch works on moto (no IAM) and fails on AWS: the
    people folder (rosters, voiceprints) once did."""
    from lifestream.people.records import PEOPLE
    from lifestream.storage import RESULTS, UPLOADS

    ecs = (INFRA / "modules" / "ecs" / "main.tf").read_text()
    reachable = set(re.findall(r'\$\{var\.s3_key_prefix\}([a-z]+/)\*', ecs))
    assert {UPLOADS, RESULTS, PEOPLE} <= reachable, reachable
    worker = ecs[ecs.index('data "aws_iam_policy_document" "worker"'):]
    worker = worker[:worker.index('\ndata "')]
    assert "local.people_objects" in worker  # speakers named from the roster, voices learnt


def test_job_table_indexes_are_the_ones_the_job_store_queries():
    """The GSIs Terraform gives the jobs table are the job store's INDEXES (names, hash keys, range key)."""
    from lifestream.workers.jobstore.dynamodb_schema import INDEXES, RANGE_KEY

    def unquoted(text: str) -> str:
        return text.strip('"')

    local = next(b for b in hcl2.loads((INFRA / "modules" / "tables" / "main.tf").read_text())["locals"]
                 if "job_indexes" in b)
    assert {unquoted(k): unquoted(v) for k, v in local["job_indexes"].items()} == INDEXES
    assert unquoted(local["job_index_range_key"]) == RANGE_KEY


# --------------------------------------------------------------------------- checkov
@pytest.fixture(scope="module")
def checkov_terraform():
    return _run_checkov(["-d", str(INFRA), "--framework", "terraform"], quiet=False)


def test_checkov_terraform_passes(checkov_terraform):
    failed = _failed(checkov_terraform)
    assert not failed, f"checkov failed {len(failed)} checks:\n{_describe(failed)}"
    summary = checkov_terraform[0]["summary"]
    assert summary["parsing_errors"] == 0, summary
    # Sanity: the modules were scanned, not just the root's module calls.
    assert summary["resource_count"] >= 60 and summary["passed"] >= 150, summary


def test_checkov_skips_carry_reasons():
    pattern = re.compile(r"#\s*checkov:skip=")
    well_formed = re.compile(r"#checkov:skip=CKV2?_[A-Z]+_\d+:\S.{20,}")
    seen = 0
    for path in _all_tf_files():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line):
                seen += 1
                assert well_formed.search(line), f"{path}:{number}: suppression without a reason: {line.strip()}"
    assert seen, "no suppressions found: the pattern is wrong, or this test is obsolete"


def test_checkov_skips_are_needed(checkov_terraform, tmp_path):
    """Each suppression hides a check that fails without it: no stale skips."""
    skipped = {
        (f["check_id"], f["resource"])
        for r in checkov_terraform
        for f in r.get("results", {}).get("skipped_checks", [])
    }
    assert skipped, "checkov reported no skipped checks although the code has suppressions"
    copy = tmp_path / "infrastructure"
    shutil.copytree(INFRA, copy, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
    for path in copy.rglob("*.tf"):
        path.write_text("\n".join(line for line in path.read_text().splitlines() if "checkov:skip=" not in line) + "\n")
    unsuppressed = {(f["check_id"], f["resource"]) for f in _failed(_run_checkov(["-d", str(copy), "--framework", "terraform"]))}
    stale = skipped - unsuppressed
    hidden = unsuppressed - skipped
    assert not stale, f"suppressions for checks that pass anyway (remove them): {sorted(stale)}"
    assert not hidden, f"failures that only the suppressions of other checks hide: {sorted(hidden)}"


def test_checkov_dockerfile_passes():
    reports = _run_checkov(["-f", str(DOCKERFILE), "--framework", "dockerfile"])
    failed = _failed(reports)
    assert not failed, f"checkov failed {len(failed)} Dockerfile checks:\n{_describe(failed)}"
    assert reports[0]["summary"]["passed"] > 0, reports[0]["summary"]


# --------------------------------------------------------------------------- Dockerfile
def test_hadolint_dockerfile_clean():
    hadolint = _hadolint()
    proc = subprocess.run([str(hadolint), "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and not proc.stdout.strip(), f"hadolint:\n{proc.stdout}{proc.stderr}"


def test_hadolint_catches_a_bad_dockerfile(tmp_path):
    """The linter really runs its rules (so a clean result above means something)."""
    hadolint = _hadolint()
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM debian\nRUN apt-get install curl\n")
    proc = subprocess.run([str(hadolint), "--no-color", str(bad)], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and "DL3006" in proc.stdout and "DL3008" in proc.stdout, proc.stdout


def test_hadolint_ignores_carry_reasons():
    lines = DOCKERFILE.read_text().splitlines()
    for i, line in enumerate(lines):
        if "hadolint ignore=" in line:
            assert i > 0 and lines[i - 1].lstrip().startswith("#") and "hadolint" not in lines[i - 1], (
                f"Dockerfile:{i + 1}: `{line.strip()}` needs a comment line above it saying why"
            )


def _stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile as stages of (INSTRUCTION, arguments), continuation lines joined."""
    logical, current = [], ""
    for raw in DOCKERFILE.read_text().splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if current and stripped.startswith("#"):
            continue
        current += " " + stripped[:-1] if stripped.endswith("\\") else " " + stripped
        if not stripped.endswith("\\"):
            logical.append(current.strip())
            current = ""
    stages: list[list[tuple[str, str]]] = []
    for line in logical:
        instruction, _, args = line.partition(" ")
        if instruction.upper() == "FROM":
            stages.append([])
        if stages:  # (global ARGs before the first FROM belong to no stage)
            stages[-1].append((instruction.upper(), args.strip()))
    return stages


def _global_args() -> dict[str, str]:
    """The ARG defaults declared before the first FROM."""
    found: dict[str, str] = {}
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if line.upper().startswith("FROM "):
            break
        if line.upper().startswith("ARG ") and "=" in line:
            name, _, value = line[4:].strip().partition("=")
            found[name] = value
    return found


def test_dockerfile_contract():
    stages = {args.split()[-1]: stage for stage in _stages() for args in [stage[0][1]] if " AS " in args.upper()}
    assert list(stages) == ["system", "deps", "build", "runtime"], f"stages: {list(stages)}"
    # The official slim Python image by default; scripts/build-image passes a local one.
    assert _global_args() == {"BASE_IMAGE": "python", "BASE_TAG": "3.11-slim-bookworm"}
    assert stages["system"][0][1] == "${BASE_IMAGE}:${BASE_TAG} AS system"
    assert stages["deps"][0][1] == "system AS deps" and stages["runtime"][0][1] == "deps AS runtime"

    system_text = "\n".join(f"{i} {a}" for i, a in stages["system"])
    assert re.search(r"apt-get install -y --no-install-recommends ffmpeg", system_text)

    deps_runs = [args for ins, args in stages["deps"] if ins == "RUN"]
    torch_at = next(i for i, r in enumerate(deps_runs) if "torch==" in r)
    app_at = next(i for i, r in enumerate(deps_runs) if re.search(r"pip install --no-cache-dir (--no-binary names )?\.(\s|$)", r))
    assert torch_at < app_at, "the CPU torch wheel must be installed before the package"
    assert "download.pytorch.org/whl/cpu" in dict(a.split("=", 1) for i, a in stages["deps"] if i == "ARG" and "=" in a).get(
        "TORCH_INDEX_URL", ""), "torch must come from the PyTorch CPU index"
    assert any("--no-deps" in r and "pyannote.audio==4.0.7" in r for r in deps_runs)
    build_runs = [args for ins, args in stages["build"] if ins == "RUN"]
    assert any("lifestream models" in r for r in build_runs), "models must be baked in at build time"

    runtime = stages["runtime"]
    runtime_text = "\n".join(f"{i} {a}" for i, a in runtime)
    assert "COPY --from=build /opt/lifestream/models /opt/lifestream/models" in runtime_text
    assert "HF_HUB_OFFLINE=1" in runtime_text and "LIFESTREAM_MODEL_DIR=/opt/lifestream/models" in runtime_text
    users = [a for i, a in runtime if i == "USER"]
    assert users and users[-1].split(":")[0] not in ("0", "root"), "the runtime must not run as root"
    healthchecks = [a for i, a in runtime if i == "HEALTHCHECK"]
    assert healthchecks and "/healthz" in healthchecks[-1] and "urllib" in healthchecks[-1]
    assert [a for i, a in runtime if i == "CMD"][-1] == '["lifestream", "serve"]'


# --------------------------------------------------------------------------- .dockerignore
def _dockerignore_excludes(path: str, patterns: list[tuple[bool, re.Pattern]]) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parent directories decides."""
    parts = path.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for negated, regex in patterns:
        if any(regex.fullmatch(c) for c in candidates):
            excluded = not negated
    return excluded


def _dockerignore_patterns() -> list[tuple[bool, re.Pattern]]:
    patterns = []
    for raw in DOCKERIGNORE.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        line = line.lstrip("!").strip().lstrip("/").rstrip("/")
        if line.startswith("./"):
            line = line[2:]
        regex, i = "", 0
        while i < len(line):
            if line.startswith("**/", i):
                regex += "(?:.*/)?"
                i += 3
            elif line.startswith("**", i):
                regex += ".*"
                i += 2
            elif line[i] == "*":
                regex += "[^/]*"
                i += 1
            elif line[i] == "?":
                regex += "[^/]"
                i += 1
            elif line[i] == "[":
                end = line.index("]", i)
                regex += line[i:end + 1]
                i = end + 1
            else:
                regex += re.escape(line[i])
                i += 1
        patterns.append((negated, re.compile(regex)))
    return patterns


def test_dockerignore_keeps_the_context_small_and_complete():
    patterns = _dockerignore_patterns()
    for path in (".git/HEAD", ".venv/bin/python", ".venv-tools/bin/checkov", "lifestream-data/results/x/meeting.json",
                 "test-artifacts/report.xml", "infrastructure/.terraform/providers/x", "infrastructure/terraform.tfstate",
                 "infrastructure/terraform.tfvars", "tests/test_pipeline.py", "lifestream/__pycache__/cli.cpython-311.pyc",
                 ".pytest_cache/v/cache", ".env"):
        assert _dockerignore_excludes(path, patterns), f".dockerignore lets {path} into the build context"
    for path in ("pyproject.toml", "README.md", "lifestream/cli.py", "lifestream/pipeline/asr.py"):
        assert not _dockerignore_excludes(path, patterns), f".dockerignore drops {path}, which the build needs"
    # every file the Dockerfile copies from the context (not --from=) is let through
    for stage in _stages():
        for instruction, args in stage:
            if instruction in ("COPY", "ADD") and not args.startswith("--from"):
                for source in args.split()[:-1]:
                    if source.startswith("--"):
                        continue
                    matches = [p for p in ROOT.glob(source.rstrip("/")) if p.exists()]
                    for match in matches:
                        files = [match] if match.is_file() else [p for p in match.rglob("*.py")]
                        for f in files:
                            rel = f.relative_to(ROOT).as_posix()
                            if "__pycache__" not in rel:
                                assert not _dockerignore_excludes(rel, patterns), f"COPY {source}: {rel} is ignored"


# --------------------------------------------------------------------------- terraform fmt / validate
def test_terraform_fmt(tmp_path):
    binary = terraform_binary()
    proc = subprocess.run([binary, "fmt", "-check", "-recursive", "-diff", "-no-color", str(INFRA)],
                          capture_output=True, text=True, timeout=120, env=terraform_env(tmp_path))
    assert proc.returncode == 0, f"terraform fmt would change:\n{proc.stdout}{proc.stderr}"


def test_terraform_validate(tmp_path):
    """terraform init -backend=false && terraform validate, against the real AWS provider schema."""
    binary = terraform_binary()
    env = terraform_env(tmp_path)
    require_version(binary, env)
    work = copy_configuration(tmp_path / "infrastructure")
    init(binary, work, env)
    validate = subprocess.run([binary, "validate", "-no-color"], cwd=work, capture_output=True, text=True,
                              timeout=600, env=env)
    assert validate.returncode == 0, f"terraform validate:\n{validate.stdout}{validate.stderr}"
    assert "The configuration is valid" in validate.stdout, validate.stdout
