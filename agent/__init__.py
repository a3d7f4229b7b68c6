"""The online agent: run a policy in any env (live desktop included, safely), evaluate, improve."""
