"""localep: run Azure ML online endpoints on your own machine, in Docker, from the cloud's YAML."""

__version__ = "0.1.0"
