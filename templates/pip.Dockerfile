# localep: base image without conda, so the conda file's pip section (and the conda packages that exist on PyPI)
# go into a venv made with the image's own python.
RUN python3 -m venv /azureml-envs/localep \
 && /azureml-envs/localep/bin/python -m pip install --no-cache-dir -r /tmp/localep/requirements.txt
ENV PATH=/azureml-envs/localep/bin:$$PATH
