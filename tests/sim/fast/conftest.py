import sys
from pathlib import Path

# _compare.py beside this file, and tests/sim/test_invariants.py's generator of centers.
sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent))
