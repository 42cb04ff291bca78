"""`python -m worker`: run the pgmq worker."""

import sys

from worker import runner

sys.exit(runner.main(sys.argv[1:]))
