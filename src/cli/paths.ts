// Paths on the command line mean what they mean in the shell the person typed them in. `npm run mmrag`
// runs us from the repository root and says where it was started in INIT_CWD.
import path from "node:path";

export function invokingDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.INIT_CWD ?? process.cwd();
}

export function fromInvokingDir(file: string, env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(invokingDir(env), file);
}
