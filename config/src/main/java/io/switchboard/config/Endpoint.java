package io.switchboard.config;

/** An address to listen on; port 0 asks the OS for a free port (used by tests). */
public record Endpoint(String host, int port) {}
