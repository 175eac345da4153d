package io.switchboard.config;

/**
 * TLS for the proxy's own connections to Redis nodes or Sentinels.
 *
 * @param caFile PEM certificates to trust; empty: the JVM's default trust store
 * @param certFile PEM client certificate for servers that ask for one ({@code tls-auth-clients});
 *     empty: none is sent
 * @param keyFile the client certificate's private key, unencrypted PKCS#8 PEM
 * @param verifyHostname check that the server's certificate names the host connected to
 */
public record OutboundTlsConfig(
    boolean enabled, String caFile, String certFile, String keyFile, boolean verifyHostname) {

  public static final OutboundTlsConfig OFF = new OutboundTlsConfig(false, "", "", "", true);
}
