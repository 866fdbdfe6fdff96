# A minimal image: the wheel is built in one stage and installed (with the postgres extra, pinned by
# constraints.txt) in a slim one, run as a non-root user whose state lives in /state (RECONCILER_STATE_DIR).
#   docker build -t reconciler .
#   docker run --rm -v "$PWD:/work:ro" -w /work -v reconciler-state:/state -e OKX_MAIN_KEY reconciler plan desired.yaml
FROM python:3.11-slim AS build
WORKDIR /src
COPY . .
RUN pip install --no-cache-dir build && python -m build --wheel --outdir /dist && cp constraints.txt /dist/

FROM python:3.11-slim
COPY --from=build /dist/ /tmp/dist/
RUN pip install --no-cache-dir -c /tmp/dist/constraints.txt "$(ls /tmp/dist/*.whl)[postgres]" && rm -r /tmp/dist \
    && useradd --create-home --uid 10001 reconciler \
    && mkdir /state && chown reconciler:reconciler /state
# The journal, the locks and the embedded simulator's state: never the (possibly read-only) working directory.
ENV RECONCILER_STATE_DIR=/state
VOLUME /state
USER reconciler
WORKDIR /home/reconciler
ENTRYPOINT ["reconciler"]
CMD ["--help"]
