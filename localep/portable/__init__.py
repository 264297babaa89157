"""Portable images of a deployment: the environment image plus code, model, variables and server command, so a
plain `docker run` (or any cluster) serves it with nothing mounted."""
