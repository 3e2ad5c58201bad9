"""The largest requests one call or command may make (plain numbers: the command line reads them before NumPy loads)."""

MAX_POINTS = 10**7  # output points of one trajectory (about 0.3 GB of results)
MAX_STEPS = 10**7  # gradient-descent steps (about 15 min for one start on 2 cores)
