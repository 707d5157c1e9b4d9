// `dbclone tag <ref> <tag>` and `dbclone untag <name> <tag>`: movable tags over versions.
import type { Command } from "commander";
import { UsageError } from "../../../core/src/errors.js";
import { VERSION_PATTERN, parseImageRef } from "../../../core/src/image/index.js";
import type { CliContext } from "../context.js";
import { examples } from "../options.js";
import { writeJson } from "../output.js";

function checkTag(tag: string): string {
  if (!VERSION_PATTERN.test(tag)) throw new UsageError(`bad tag '${tag}': use 1-128 of A-Z a-z 0-9 _ . - not starting with . or -`);
  return tag;
}

export function registerTag(program: Command, ctx: CliContext): void {
  program
    .command("tag")
    .description("point a movable tag (latest, a branch name) at an image version")
    .argument("<ref>", "the version to tag: name:version, name:tag or name@sha256:<hex>")
    .argument("<tag>", "the tag to set")
    .addHelpText("after", examples("dbclone tag orders:20260101-120000 latest", "dbclone tag orders:latest stable"))
    .action(async (ref: string, tag: string, _opts: unknown, cmd: Command) => {
      const parsed = parseImageRef(ref);
      checkTag(tag);
      const repository = await ctx.openRepository(cmd);
      const image = await repository.resolve(parsed);
      await repository.tag(image, tag);
      if (ctx.globals(cmd).json) return writeJson(ctx.io.stdout, { name: image.name, version: image.version, tag, imageDigest: image.manifestDigest });
      ctx.print(`Tagged ${image.name}:${image.version} as ${image.name}:${tag}`);
    });
}

export function registerUntag(program: Command, ctx: CliContext): void {
  program
    .command("untag")
    .description("remove a movable tag (the version it pointed at stays)")
    .argument("<name>", "image name")
    .argument("<tag>", "the tag to remove")
    .addHelpText("after", examples("dbclone untag orders stable"))
    .action(async (name: string, tag: string, _opts: unknown, cmd: Command) => {
      const parsed = parseImageRef(name);
      if (parsed.version || parsed.digest) throw new UsageError(`untag takes an image name without a version, got '${name}'; e.g. dbclone untag orders ${tag}`);
      checkTag(tag);
      const repository = await ctx.openRepository(cmd);
      await repository.untag(parsed.name, tag);
      if (ctx.globals(cmd).json) return writeJson(ctx.io.stdout, { name: parsed.name, tag, removed: true });
      ctx.print(`Removed tag ${parsed.name}:${tag}`);
    });
}
