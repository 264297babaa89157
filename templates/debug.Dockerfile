# localep: debugpy for `up --debug`, on top of the environment image so the debugged code runs where it ships.
RUN PIP_BREAK_SYSTEM_PACKAGES=1 /opt/localep/python -m pip install --no-cache-dir debugpy
