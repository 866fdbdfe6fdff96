# A minimal image: the wheel is built in one stage and installed in a slim one, run as a non-root user.
#   docker build -t reconciler .
#   docker run --rm -v "$PWD:/work" -w /work -e OKX_MAIN_KEY reconciler plan desired.yaml
FROM python:3.11-slim AS build
WORKDIR /src
COPY . .
RUN pip install --no-cache-dir build && python -m build --wheel --outdir /dist

FROM python:3.11-slim
COPY --from=build /dist/*.whl /tmp/
RUN pip install --no-cache-dir /tmp/*.whl && rm /tmp/*.whl \
    && useradd --create-home --uid 10001 reconciler
USER reconciler
WORKDIR /home/reconciler
ENTRYPOINT ["reconciler"]
CMD ["--help"]
