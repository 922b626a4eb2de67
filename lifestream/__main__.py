import sys

from lifestream.cli import main

sys.exit(main())
