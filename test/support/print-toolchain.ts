/** Fails fast, with the fix, when the tests would run on a Node older than the Lambda runtime. */
const major = Number(process.versions.node.split(".")[0]);
if (major < 24) {
  console.error(
    `pullbridge tests need Node 24 (the Lambda runtime); this is ${process.version}.\n` +
      "Run `npm ci` first: it installs Node 24 into node_modules/.bin, which npm scripts use.",
  );
  process.exit(1);
}
console.error(`[toolchain] node ${process.version} (${process.execPath})`);
