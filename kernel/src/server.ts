/**
 * tslab's ZeroMQ server (sockets, message signing, the shell and control loops) with the
 * messages a Jupyter client needs and tslab does not send: execute_input, execute_result and
 * error on iopub, interrupt_request on the control channel, a proper comm_info_reply, and an
 * empty history_reply. Requests it does not know are logged to the kernel's own stderr, not
 * into the notebook.
 */
import { errorContent } from "./errors.js";
import type { CellIO, ExecuteRequest, TesseraKernel } from "./handler.js";
import { jupyter, type DisplayData, type Router, type ZmqMessage } from "./tslab.js";
import { parseMessage, peekMessageType, replyFrames } from "./wire.js";

/** The request types tslab's server answers itself. */
const TSLAB_HANDLES = new Set([
  "kernel_info_request",
  "execute_request",
  "is_complete_request",
  "inspect_request",
  "complete_request",
  "comm_info_request",
  "shutdown_request",
]);

export class TesseraServer extends jupyter.ZmqServer {
  /** Called once the sockets are closed after a shutdown_request. */
  onClose: (() => void) | null = null;
  /** Called once, after the first kernel_info_reply went out: the front end shows the kernel ready. */
  onFirstKernelInfo: (() => void) | null = null;

  constructor(
    private readonly kernel: TesseraKernel,
    connectionFile: string,
    /** The kernel's own log (stderr before cells redirect it into the notebook). */
    private readonly log: (line: string) => void,
  ) {
    super(kernel, connectionFile);
  }

  override async handleShellMessage(sock: Router, ...frames: Buffer[]): Promise<void> {
    const type = peekMessageType(frames);
    if (type !== null && TSLAB_HANDLES.has(type)) return super.handleShellMessage(sock, ...frames);
    let msg;
    try {
      msg = parseMessage(this.connInfo.key, frames);
    } catch (err) {
      this.log(`tessera-kernel: dropped a message: ${(err as Error).message}`);
      return;
    }
    // Every request is wrapped in busy/idle on iopub, as the protocol asks. JupyterLab takes
    // a kernel's status only from replies to requests it tracks (not kernel_info_request), and
    // the history_request it sends on opening a notebook is the first of those: without these
    // two messages the notebook's kernel stays "unknown" until something is executed.
    const status = (state: "busy" | "idle") =>
      this.iopub.send(replyFrames(this.connInfo.key, { ...msg, identities: [Buffer.from("status")] }, "status", { execution_state: state }));
    await status("busy");
    try {
      switch (msg.header.msg_type) {
        case "interrupt_request":
          this.kernel.interrupt();
          await sock.send(replyFrames(this.connInfo.key, msg, "interrupt_reply", { status: "ok" }));
          break;
        case "history_request":
          await sock.send(replyFrames(this.connInfo.key, msg, "history_reply", { status: "ok", history: [] }));
          break;
        default:
          this.log(`tessera-kernel: ignored ${msg.header.msg_type}`);
      }
    } finally {
      await status("idle");
    }
  }

  override async handleExecute(sock: Router, msg: ZmqMessage): Promise<void> {
    const send = (msgType: string, content: object): void => {
      const out = msg.createReply();
      out.header.msg_type = msgType;
      out.content = content;
      out.signAndSend(this.connInfo.key, this.iopub);
    };
    const io: CellIO = {
      stream: (name, text) => send("stream", { name, text }),
      display: (data: DisplayData, update: boolean) => send(update ? "update_display_data" : "display_data", data),
      publish: send,
    };
    let content: object;
    try {
      content = await this.kernel.execute(msg.content as ExecuteRequest, io);
    } catch (err) {
      // A failure of the kernel itself, not of the cell: still answer, or the client waits forever.
      this.log(`tessera-kernel: execute_request failed: ${err instanceof Error ? err.stack : String(err)}`);
      content = { status: "error", execution_count: 0, ...errorContent(err) };
    }
    const reply = msg.createReply();
    reply.header.msg_type = "execute_reply";
    reply.content = content;
    reply.signAndSend(this.connInfo.key, sock);
  }

  override handleKernelInfo(sock: Router, msg: ZmqMessage): void {
    super.handleKernelInfo(sock, msg);
    const first = this.onFirstKernelInfo;
    this.onFirstKernelInfo = null;
    if (first) setImmediate(first);
  }

  override handleCommInfoRequest(sock: Router, msg: ZmqMessage): void {
    const reply = msg.createReply();
    reply.header.msg_type = "comm_info_reply";
    reply.content = { status: "ok", comms: {} };
    reply.signAndSend(this.connInfo.key, sock);
  }

  override close(): void {
    super.close();
    this.onClose?.();
  }
}
