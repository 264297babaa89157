"""A batch deployment -> an Indexed Job over a shared volume, and the volume's claim (pure).

`instance_count` pods (one completion index each) run the image's driver with `max_concurrency_per_instance`
workers; inputs are read from the volume's inputs/data folder, the output (the same layout as `localep batch run`)
is written to outputs/score, and the last pod to finish writes the predictions file.
"""

from __future__ import annotations

from typing import List

from localep.kube import objects as k8s
from localep.kube.online import object_name
from localep.portable.recipe import BATCH_VOLUME
from localep.yamlspec.batch_model import BatchDeployment

VOLUME_NAME = "batch-data"


def batch_objects(deployment: BatchDeployment, image: str, volume_size: str) -> List[k8s.TopLevel]:
    name = object_name(deployment.endpoint_name, deployment.name)
    labels = {"localep.io/endpoint": deployment.endpoint_name, "localep.io/deployment": deployment.name}
    claim = object_name(name, "data")
    container = k8s.Container(name="batch-driver", image=image,
                              volume_mounts=[k8s.VolumeMount(name=VOLUME_NAME, mount_path=BATCH_VOLUME)])
    pods = deployment.instance_count
    return [
        k8s.PersistentVolumeClaim(
            metadata=k8s.ObjectMeta(name=claim, labels=labels),
            # Every pod reads the inputs and writes the output folder at once: the volume must be ReadWriteMany.
            spec=k8s.PersistentVolumeClaimSpec(access_modes=["ReadWriteMany"],
                                               resources=k8s.VolumeResourceRequirements(requests={"storage": volume_size})),
        ),
        k8s.Job(
            metadata=k8s.ObjectMeta(name=name, labels=labels),
            spec=k8s.JobSpec(
                completions=pods, parallelism=pods, completion_mode="Indexed",
                template=k8s.PodTemplateSpec(metadata=k8s.ObjectMeta(labels=labels), spec=k8s.PodSpec(
                    containers=[container], restart_policy="Never",
                    volumes=[k8s.Volume(name=VOLUME_NAME, persistent_volume_claim=k8s.PersistentVolumeClaimVolumeSource(
                        claim_name=claim))],
                )),
            ),
        ),
    ]
