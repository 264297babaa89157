"""Deployment YAML texts shared by the unit tests of the loader and of its sections (written beside model-1/)."""

MINIMAL_DEPLOYMENT = """
name: blue
endpoint_name: my-endpoint
model:
  path: ../model-1/model/
code_configuration:
  code: ../model-1/onlinescoring/
  scoring_script: score.py
environment:
  conda_file: ../model-1/environment/conda.yml
  image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest
instance_type: Standard_DS3_v2
"""
