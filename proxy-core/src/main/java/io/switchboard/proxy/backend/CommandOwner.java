package io.switchboard.proxy.backend;

/**
 * What the backend side knows of the client session a command belongs to: all a backend connection
 * may ask of it. Called on the session's event loop, which owns the connection too.
 */
public interface CommandOwner {

  /** The command was answered ({@link PendingCommand#reply}): by its node, or by the proxy. */
  void onReply(PendingCommand command);

  /**
   * The connection it was given to cannot send it (its node left the topology before it was
   * written): route it again. It still counts as outstanding.
   */
  void redispatch(PendingCommand command);

  /** A read has waited too long on a replica: run it elsewhere too, first answer wins. */
  void retryStuckRead(PendingCommand command);
}
