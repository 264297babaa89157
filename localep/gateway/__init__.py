"""The endpoint gateway: one supervised host process per local endpoint, answering like the cloud endpoint.

The CLI starts and stops it with `localep.gateway.process`, changes it through `localep.gateway.client`
(its control socket), and writes the config with `localep.gateway.config`.
"""
