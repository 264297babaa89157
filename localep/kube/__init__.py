"""`localep export kubernetes`: an endpoint and its deployments as plain Kubernetes and Gateway API manifests, built
from typed objects (never text templates) and validated against the published schemas."""
