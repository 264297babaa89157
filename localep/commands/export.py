"""`localep export kubernetes`: manifests any cluster runs, from the endpoint and deployment YAML (images by
`localep package` unless --no-build)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional, Sequence, Tuple, Union

import click

from localep.commands import options
from localep.commands.output import emit_json, handles_errors
from localep.dockerclient import docker_client
from localep.images.kinds import server_for
from localep.images.settings import BuildSettings
from localep.kube import objects as k8s
from localep.kube.batch import batch_objects
from localep.kube.export import write_manifests
from localep.kube.online import PackagedDeployment, endpoint_objects, object_name
from localep.portable.build import PackagedImage, check_name, package_deployment, push_image
from localep.progress import Reporter
from localep.yamlspec.batch_loader import load_batch_deployment
from localep.yamlspec.batch_model import BatchDeployment
from localep.yamlspec.loader import BATCH_DEPLOYMENT, classify
from localep.yamlspec.model import Deployment, Project
from localep.yamlspec.yamlio import read_document


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
@click.option("--batch-volume-size", default="10Gi", show_default=True,
              help="Storage a batch deployment's volume claim asks for (inputs and outputs).")
@options.json_option
@handles_errors
def kubernetes(files: Sequence[Path], endpoint_file: Optional[Path], overrides: Sequence[str], pull: str,
               ca_bundle: Optional[Path], rebuild: bool, installer: str, triton_image: Optional[str],
               image_prefix: str, output: Path, gateway_name: str, gateway_namespace: Optional[str], no_build: bool,
               tag: str, push: bool, batch_volume_size: str, as_json: bool) -> None:
    """Kubernetes manifests for an endpoint: per deployment a Deployment (replicas, CPU and memory, probes,
    variables), a Service and, for `scale_settings: target_utilization`, a HorizontalPodAutoscaler; for the endpoint a
    Gateway API HTTPRoute with the traffic weights, the mirror share and the azureml-model-deployment header. A batch
    deployment file becomes an Indexed Job of instance_count pods over a ReadWriteMany volume claim (inputs/data in,
    outputs/score out, the layout of `localep batch run`).

    FILES are read as `localep up` reads them. Each deployment is packaged first (`localep package`), so the image
    holds its code and model; its tag is the package's content hash. Nothing is applied to a cluster.

    \b
    Example:
      localep export kubernetes endpoint.yml blue.yml green.yml --image-prefix myacr.azurecr.io/ -o k8s/ --push
      kubectl apply -f k8s/
      localep export kubernetes examples/numpy-regression --image-prefix registry.local/ -o k8s/ --no-build --tag 1
      localep export kubernetes batch-deployment.yml --image-prefix myacr.azurecr.io/ -o k8s/
    """
    batch_files = [path for path in files if _is_batch_deployment(path)]
    online_files = [path for path in files if path not in batch_files]
    reporter = Reporter(quiet=as_json)
    settings = options.build_settings(pull, ca_bundle, rebuild, installer)
    images = {}
    objects: List[k8s.TopLevel] = []
    sources = [path.name for path in batch_files]
    for path in batch_files:
        batch = load_batch_deployment(path, overrides)
        images[batch.name] = _image(batch, image_prefix, tag, no_build, push, settings, reporter)[0]
        objects += batch_objects(batch, images[batch.name], batch_volume_size)
    if online_files or not batch_files:
        project = options.load(online_files, endpoint_file, overrides, triton_image)
        packaged = [_image_for(d, image_prefix, tag, no_build, push, settings, reporter) for d in project.deployments]
        images.update({p.deployment.name: p.image for p in packaged})
        gateway = k8s.ParentReference(name=gateway_name, namespace=gateway_namespace)
        objects += endpoint_objects(project.endpoint, packaged, gateway)
        sources.insert(0, _source(project))
    written = write_manifests(objects, output, ", ".join(sources))
    if as_json:
        emit_json({"files": [str(path) for path in written], "images": images})
    else:
        for path in written:
            click.echo(str(path))


def _is_batch_deployment(path: Path) -> bool:
    return path.is_file() and classify(read_document(path).data) == BATCH_DEPLOYMENT


def _image_for(deployment: Deployment, prefix: str, tag: str, no_build: bool, push: bool, settings: BuildSettings,
               reporter: Reporter) -> PackagedDeployment:
    name, packaged = _image(deployment, prefix, tag, no_build, push, settings, reporter)
    environment = deployment.environment
    assert environment is not None, "the spec loader guarantees an environment for runnable deployments"
    server = packaged.recipe.server if packaged is not None else server_for(environment)
    assert server is not None, "an online deployment's image always has a server"
    return PackagedDeployment(deployment, name, server)


def _image(deployment: Union[Deployment, BatchDeployment], prefix: str, tag: str, no_build: bool, push: bool,
           settings: BuildSettings, reporter: Reporter) -> Tuple[str, Optional[PackagedImage]]:
    """PREFIX<endpoint>-<deployment>:<content hash> once packaged (and pushed), or :TAG with --no-build."""
    repository = prefix + object_name(deployment.endpoint_name, deployment.name)
    if no_build:
        check_name(f"{repository}:{tag}")
        return f"{repository}:{tag}", None
    check_name(repository)
    client = docker_client()
    packaged = package_deployment(client, deployment, repository, settings, reporter, tag_with_hash=True)
    if push:
        push_image(client, packaged.name, reporter)
    return packaged.name, packaged


def _source(project: Project) -> str:
    files: List[str] = [d.file.name for d in project.deployments]
    if project.endpoint.file is not None:
        files.insert(0, project.endpoint.file.name)
    return ", ".join(files)
