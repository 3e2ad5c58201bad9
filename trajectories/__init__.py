"""trajectories — numeric ways to compute a trajectory (closed form, ODE, gradient descent, full model)."""
