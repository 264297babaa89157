# localep: every generated Dockerfile starts here; the ARGs carry proxy and index settings into RUN steps
# without baking them into the image environment.
FROM ${base_image}
SHELL ["/bin/sh", "-c"]
${build_args}
COPY localep/ /tmp/localep/
