# The reference cell image: `cellfabric cell`, the default workload every
# cloud's cell runs (ghcr.io/cellfabric/cell). It serves the cell contract:
# /healthz with the cell's id, cloud and region, a tenant-scoped key/value API,
# and edge signature verification. Configuration comes from the CELLFABRIC_*
# environment the cell components set (components/cell). It listens on
# :$PORT, every interface (:8080 without PORT), where the cloud's load balancer
# reaches the container. (`cellfabric route`, by contrast, listens on loopback
# unless given --listen :8080; an image running it must pass that.)
#
#   docker build -t ghcr.io/cellfabric/cell:0.1.0 .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/cellfabric ./cmd/cellfabric

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/cellfabric /cellfabric
EXPOSE 8080
USER nonroot
ENTRYPOINT ["/cellfabric", "cell"]
