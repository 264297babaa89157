"""The endpoint gateway: one per local endpoint, answering like the cloud endpoint on 127.0.0.1.

It runs as a container on the host network (started by `localep.runtime.gateway_container`, supervised by the
engine's restart policy) or, where no image can carry it, as a host process (`localep.gateway.process`). Either way
the CLI changes it through `localep.gateway.client` (its control socket) and writes its config with
`localep.gateway.config`.
"""
