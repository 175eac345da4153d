package io.switchboard.config;

/**
 * TLS for client ports: the certificate the proxy presents and whether it asks clients for theirs.
 *
 * @param onMainPort the main port ({@code listen}) speaks TLS; other ports say so in their own
 *     {@link ListenerConfig#tls()}
 * @param caFile PEM certificates that client certificates must chain to
 * @param userFromCertificate a client whose verified certificate's Common Name names a user of
 *     {@code auth.users} starts authenticated as that user (Redis 8: tls-auth-clients-user CN)
 * @param reloadInterval how often every certificate file the proxy reads (these and {@code
 *     redis.tls}'s) is checked for a change; zero never
 */
public record ListenerTlsConfig(
    boolean onMainPort,
    String certFile,
    String keyFile,
    String caFile,
    ClientCertificates clientAuth,
    boolean userFromCertificate,
    java.time.Duration reloadInterval) {

  public static final ListenerTlsConfig OFF =
      new ListenerTlsConfig(
          false, "", "", "", ClientCertificates.NONE, false, java.time.Duration.ofSeconds(30));

  /** Whether clients must, may or need not present a certificate (signed by {@code caFile}). */
  public enum ClientCertificates {
    NONE,
    OPTIONAL,
    REQUIRE
  }
}
