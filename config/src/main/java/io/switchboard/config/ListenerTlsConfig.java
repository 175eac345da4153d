package io.switchboard.config;

/**
 * TLS for client ports: the certificate the proxy presents and whether it asks clients for theirs.
 *
 * @param onMainPort the main port ({@code listen}) speaks TLS; other ports say so in their own
 *     {@link ListenerConfig#tls()}
 * @param caFile PEM certificates that client certificates must chain to
 * @param userFromCertificate a client whose verified certificate's Common Name names a user of
 *     {@code auth.users} starts authenticated as that user (Redis 8: tls-auth-clients-user CN)
 */
public record ListenerTlsConfig(
    boolean onMainPort,
    String certFile,
    String keyFile,
    String caFile,
    ClientCertificates clientAuth,
    boolean userFromCertificate) {

  public static final ListenerTlsConfig OFF =
      new ListenerTlsConfig(false, "", "", "", ClientCertificates.NONE, false);

  /** Whether clients must, may or need not present a certificate (signed by {@code caFile}). */
  public enum ClientCertificates {
    NONE,
    OPTIONAL,
    REQUIRE
  }
}
