import sys

from ember.compat import main

if __name__ == "__main__":
    sys.exit(main())
