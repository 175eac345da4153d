package io.switchboard.config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Password digests, as Redis ACL keeps them ({@code #<sha256 hex>}). */
public final class Passwords {

  private Passwords() {}

  public static String sha256Hex(String password) {
    return HexFormat.of().formatHex(sha256(password.getBytes(StandardCharsets.UTF_8)));
  }

  public static byte[] sha256(byte[] password) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(password);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
