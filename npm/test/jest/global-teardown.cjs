module.exports = async () => {
  await globalThis.openmicMock?.stop();
};
