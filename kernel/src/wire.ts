/**
 * Jupyter's wire format for the few messages tslab's server does not know (interrupt_request
 * on the control channel): split the ZeroMQ frames, check the signature, and sign replies.
 * https://jupyter-client.readthedocs.io/en/latest/messaging.html#the-wire-protocol
 */
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";

const DELIMITER = Buffer.from("<IDS|MSG>");
export const PROTOCOL_VERSION = "5.3";

export interface Header {
  msg_id: string;
  msg_type: string;
  session: string;
  username: string;
  date: string;
  version: string;
}

export interface WireMessage {
  identities: Buffer[];
  header: Header;
  content: Record<string, unknown>;
}

function sign(key: string, parts: (string | Buffer)[]): string {
  const hmac = createHmac("sha256", key);
  for (const part of parts) hmac.update(part);
  return hmac.digest("hex");
}

/** The message type of raw frames, without verifying them (null if they are not a message). */
export function peekMessageType(frames: Buffer[]): string | null {
  const i = frames.findIndex((f) => f.equals(DELIMITER));
  if (i < 0 || frames.length < i + 6) return null;
  try {
    return (JSON.parse(frames[i + 2]!.toString()) as Header).msg_type ?? null;
  } catch {
    return null;
  }
}

/** Parse and verify raw frames; throws if the signature does not match `key`. */
export function parseMessage(key: string, frames: Buffer[]): WireMessage {
  const i = frames.findIndex((f) => f.equals(DELIMITER));
  if (i < 0 || frames.length < i + 6) throw new Error("not a Jupyter message");
  const parts = frames.slice(i + 2, i + 6);
  if (key) {
    const expected = Buffer.from(sign(key, parts));
    const given = frames[i + 1]!;
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new Error("invalid message signature");
  }
  return {
    identities: frames.slice(0, i),
    header: JSON.parse(parts[0]!.toString()) as Header,
    content: JSON.parse(parts[3]!.toString()) as Record<string, unknown>,
  };
}

/** Frames of a signed reply of `msgType` to `parent`, addressed to the same identities. */
export function replyFrames(key: string, parent: WireMessage, msgType: string, content: object): (Buffer | string)[] {
  const header: Header = {
    msg_id: randomUUID(),
    msg_type: msgType,
    session: parent.header.session,
    username: parent.header.username,
    date: new Date().toISOString(),
    version: PROTOCOL_VERSION,
  };
  const parts = [JSON.stringify(header), JSON.stringify(parent.header), "{}", JSON.stringify(content)];
  return [...parent.identities, DELIMITER, key ? sign(key, parts) : "", ...parts];
}
