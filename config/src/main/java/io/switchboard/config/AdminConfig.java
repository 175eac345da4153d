package io.switchboard.config;

/**
 * The admin HTTP endpoint.
 *
 * @param token the bearer token its actions (drain, reconcile, failover) require; empty disables
 *     them
 */
public record AdminConfig(Endpoint endpoint, String token) {

  public boolean actionsEnabled() {
    return !token.isEmpty();
  }

  @Override
  public String toString() {
    return "AdminConfig[endpoint=" + endpoint + ", token=" + (actionsEnabled() ? "***" : "") + "]";
  }
}
