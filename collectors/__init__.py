"""Collectors: write trajectories to disk from the scripted expert, a recorded human or a policy."""
