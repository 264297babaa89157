"""Model data collection (`data_collector`): the cloud's event format and folders, the in-container receiver for
azureml-ai-monitoring, and the endpoint's request/response payload logging."""
