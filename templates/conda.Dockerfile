# localep: base image with conda/mamba, so the environment is created the way the cloud creates it.
RUN ${conda} env create --quiet -p /azureml-envs/localep -f /tmp/localep/conda.yml \
 && (${conda} clean -afy >/dev/null 2>&1 || true)
ENV PATH=/azureml-envs/localep/bin:$$PATH
