# localep: base image without conda, so the conda file's pip section (and the conda packages that exist on PyPI)
# went into a venv made with the image's own python, in the package layers below (localep/images/layers.py).
ENV PATH=/azureml-envs/localep/bin:$$PATH
