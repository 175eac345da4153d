package io.switchboard.config;

/**
 * Large requests and replies recorded for {@code /bigkeys}.
 *
 * @param threshold a request or reply at least this large is recorded
 * @param maxLen recent records kept; zero records none
 */
public record BigKeysConfig(long threshold, int maxLen) {}
