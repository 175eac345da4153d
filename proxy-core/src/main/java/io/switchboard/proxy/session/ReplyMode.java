package io.switchboard.proxy.session;

/**
 * {@code CLIENT REPLY}: which of a session's replies the client asked not to get, as Redis's three
 * client flags. A silenced reply still takes its place in the session's ordered queue (its command
 * runs), and is dropped when its turn to be written comes.
 */
final class ReplyMode {

  private boolean off;
  private boolean skip;
  private boolean skipNext;

  /** ON: every reply again, starting with ON's own OK. */
  void on() {
    off = false;
    skip = false;
  }

  /** OFF: no reply, OFF's own included, until ON. */
  void off() {
    off = true;
  }

  /** SKIP: no reply for SKIP itself and for the command after it (nothing more while OFF). */
  void skipNext() {
    if (!off) {
      skip = true;
      skipNext = true;
    }
  }

  /** Whether the reply of the command being handled now is dropped. */
  boolean silent() {
    return off || skip;
  }

  boolean active() {
    return off || skip || skipNext;
  }

  /** After each command: a SKIP covers exactly the one command that follows it. */
  void commandDone() {
    skip = skipNext;
    skipNext = false;
  }
}
