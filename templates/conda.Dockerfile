# localep: base image with conda/mamba, so the environment was created the way the cloud creates it, in the
# package layers below (localep/images/layers.py): conda packages, then the pip section.
ENV PATH=/azureml-envs/localep/bin:$$PATH
