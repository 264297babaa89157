"""`localep export kubernetes`: manifests any cluster runs, from the endpoint and deployment YAML (images by
`localep package` unless --no-build)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional, Sequence

import click

from localep.commands import options
from localep.commands.output import emit_json, handles_errors
from localep.dockerclient import docker_client
from localep.images.kinds import server_for
from localep.images.settings import BuildSettings
from localep.kube import objects as k8s
from localep.kube.export import write_manifests
from localep.kube.online import PackagedDeployment, endpoint_objects, object_name
from localep.portable.build import check_name, package_deployment, push_image
from localep.progress import Reporter
from localep.yamlspec.model import Deployment, Project


@click.group("export")
def command() -> None:
    """Write what runs an endpoint elsewhere.

    \b
    Example:
      localep export kubernetes examples/numpy-regression --image-prefix myregistry.azurecr.io/ -o k8s/
    """


@command.command("kubernetes")
@options.spec_options
@options.build_options
@options.triton_image_option
@click.option("--image-prefix", required=True, metavar="REGISTRY/",
              help="Where the images live: each deployment's image is PREFIX<endpoint>-<deployment>:<tag>.")
@click.option("-o", "--output", "output", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the manifests (one object per file).")
@click.option("--gateway", "gateway_name", default="localep-gateway", show_default=True,
              help="The Gateway (Gateway API) the endpoint's HTTPRoute attaches to.")
@click.option("--gateway-namespace", help="The Gateway's namespace (default: the HTTPRoute's own).")
@click.option("--no-build", is_flag=True, help="Do not run `localep package`: name the images with --tag instead.")
@click.option("--tag", default="latest", show_default=True, help="With --no-build: the images' tag.")
@click.option("--push", is_flag=True, help="Push each packaged image (its registry is the one --image-prefix names).")
@options.json_option
@handles_errors
def kubernetes(files: Sequence[Path], endpoint_file: Optional[Path], overrides: Sequence[str], pull: str,
               ca_bundle: Optional[Path], rebuild: bool, installer: str, triton_image: Optional[str],
               image_prefix: str, output: Path, gateway_name: str, gateway_namespace: Optional[str], no_build: bool,
               tag: str, push: bool, as_json: bool) -> None:
    """Kubernetes manifests for an endpoint: per deployment a Deployment (replicas, CPU and memory, probes,
    variables), a Service and, for `scale_settings: target_utilization`, a HorizontalPodAutoscaler; for the endpoint a
    Gateway API HTTPRoute with the traffic weights, the mirror share and the azureml-model-deployment header.

    FILES are read as `localep up` reads them. Each deployment is packaged first (`localep package`), so the image
    holds its code and model; its tag is the package's content hash. Nothing is applied to a cluster.

    \b
    Example:
      localep export kubernetes endpoint.yml blue.yml green.yml --image-prefix myacr.azurecr.io/ -o k8s/ --push
      kubectl apply -f k8s/
      localep export kubernetes examples/numpy-regression --image-prefix registry.local/ -o k8s/ --no-build --tag 1
    """
    project = options.load(files, endpoint_file, overrides, triton_image)
    reporter = Reporter(quiet=as_json)
    settings = options.build_settings(pull, ca_bundle, rebuild, installer)
    packaged = [_image_for(d, image_prefix, tag, no_build, push, settings, reporter) for d in project.deployments]
    gateway = k8s.ParentReference(name=gateway_name, namespace=gateway_namespace)
    objects = endpoint_objects(project.endpoint, packaged, gateway)
    written = write_manifests(objects, output, _source(project))
    if as_json:
        emit_json({"endpoint": project.endpoint.name, "files": [str(path) for path in written],
                   "images": {p.deployment.name: p.image for p in packaged}})
    else:
        for path in written:
            click.echo(str(path))


def _image_for(deployment: Deployment, prefix: str, tag: str, no_build: bool, push: bool, settings: BuildSettings,
               reporter: Reporter) -> PackagedDeployment:
    repository = prefix + object_name(deployment.endpoint_name, deployment.name)
    environment = deployment.environment
    assert environment is not None, "the spec loader guarantees an environment for runnable deployments"
    if no_build:
        check_name(f"{repository}:{tag}")
        return PackagedDeployment(deployment, f"{repository}:{tag}", server_for(environment))
    check_name(repository)
    client = docker_client()
    packaged = package_deployment(client, deployment, repository, settings, reporter, tag_with_hash=True)
    if push:
        push_image(client, packaged.name, reporter)
    return PackagedDeployment(deployment, packaged.name, packaged.recipe.server)


def _source(project: Project) -> str:
    files: List[str] = [d.file.name for d in project.deployments]
    if project.endpoint.file is not None:
        files.insert(0, project.endpoint.file.name)
    return ", ".join(files)
