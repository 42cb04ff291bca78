"""`python -m realtime`: run the real-time service."""

import sys

from realtime import server

sys.exit(server.main(sys.argv[1:]))
