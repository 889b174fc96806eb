/**
 * The yes/no question a bulk write asks at a terminal, on stdin and stderr (stdout stays the
 * command's output). Used only when stdin is a terminal: otherwise there is no one to ask.
 */
import { createInterface } from "node:readline";

/** Asks `question`; true only for `y` or `yes` (any case). Ctrl-C or end of input is a no. */
export function confirmOnTerminal(question: string): Promise<boolean> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    let answered = false;
    rl.on("SIGINT", () => {
      process.stderr.write("\n");
      rl.close();
    });
    rl.on("close", () => {
      if (!answered) resolve(false);
    });
    rl.question(question, (answer) => {
      answered = true;
      rl.close();
      resolve(/^y(es)?$/i.test(answer.trim()));
    });
  });
}
