# fedsim in a container: the Swift toolchain image builds the release binary, a slim
# Debian image runs it with only the runtime libraries (OpenBLAS, ZeroMQ, protobuf-c, zlib).
#
#   docker build -t fedsim:latest .
#   docker compose up            (see docker-compose.yml)

FROM swift:6.3-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libopenblas-dev libzmq3-dev libprotobuf-c-dev zlib1g-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Protos Protos
COPY Sources Sources
# Package.swift names the test targets too, so their folders must exist.
COPY Tests Tests
RUN swift build -c release --static-swift-stdlib --product fedsim \
 && install -D .build/release/fedsim /usr/local/bin/fedsim

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libopenblas0-pthread libzmq5 libprotobuf-c1 zlib1g \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /usr/local/bin/fedsim /usr/local/bin/fedsim
WORKDIR /fedsim
COPY scenarios scenarios
COPY data data
ENTRYPOINT ["/usr/local/bin/fedsim"]
CMD ["--help"]
