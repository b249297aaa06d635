# syntax=docker/dockerfile:1
# callguard server: multi-stage build of a static, pure-Go binary (SQLite is
# modernc.org/sqlite, no cgo) into an empty image running as a non-root user.
#
#   docker build -t callguard .
#   docker run -p 8080:8080 -v callguard-data:/data \
#     -e CALLGUARD_PUBLIC_URL=https://calls.example.com \
#     -e TWILIO_ACCOUNT_SID=AC… -e TWILIO_AUTH_TOKEN=… -e RESEMBLE_API_KEY=… \
#     -e CALLGUARD_API_TOKENS=… callguard

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o /out/server ./examples/server
# The data directory for the default SQLite database, owned by the runtime user.
RUN mkdir -p /out/data && chown 65532:65532 /out/data

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /usr/share/zoneinfo /usr/share/zoneinfo
COPY --from=build /out/server /server
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
WORKDIR /data
ENV PORT=8080 \
    DATABASE_URL=/data/callguard.db \
    CALLGUARD_LOG_FORMAT=json
EXPOSE 8080
VOLUME ["/data"]
# Liveness from inside the image (no shell or curl in scratch): the binary's
# own healthcheck subcommand GETs /healthz. Use /readyz for load balancers.
HEALTHCHECK --interval=15s --timeout=4s --start-period=10s --retries=3 CMD ["/server", "healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["/server"]
