package io.switchboard.proxy.resp;

import io.netty.handler.codec.DecoderException;

/** Bytes that are not RESP; the message is what Redis itself would answer, without "-ERR ". */
public final class RespProtocolException extends DecoderException {

  public RespProtocolException(String message) {
    super(message);
  }
}
