# syntax=docker/dockerfile:1
# Build a static binary, then ship it alone on an empty image with the CA bundle.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /ecs-rollback .

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /ecs-rollback /ecs-rollback
ENTRYPOINT ["/ecs-rollback"]
