package io.switchboard.config;

/** A configuration that cannot be used; the message names the key and what is wrong. */
public final class InvalidConfigException extends RuntimeException {

  public InvalidConfigException(String message) {
    super(message);
  }
}
