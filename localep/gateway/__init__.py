"""The endpoint gateway: one host process per local endpoint, answering like the cloud endpoint.

The CLI uses `localep.gateway.process` (start_gateway, stop_gateway, gateway_state, control) and writes the
config with `localep.gateway.config` (GatewayConfig, DeploymentRoute, save_config).
"""
