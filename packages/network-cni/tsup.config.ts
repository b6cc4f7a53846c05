import { bosunPackage } from '../../tsup.config.base';

export default bosunPackage();
