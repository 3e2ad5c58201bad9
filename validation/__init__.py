"""validation — comparisons, reports, figures and the command line.

Built only from the public functions of :mod:`analytic` and :mod:`trajectories`.
"""
