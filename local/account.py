#!/usr/bin/env python3
"""The local AWS account: moto behind the strict account's rules (local/strict/server.py).

    local/account.py --port A --lambda-port L --edge-port E [--time-scale S]
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from strict.server import main  # noqa: E402  (after the path is set)

if __name__ == "__main__":
    main()
